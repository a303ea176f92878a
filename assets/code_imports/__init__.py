"""Framework and library detection from the import statements of saved training code."""
