"""Report charts: one module per report section, one shared style, one asset per chart."""
