"""Utilities.

Example::

    import fake_module_in_docstring
    from fake_package.sub import thing
    >>> import fake_doctest_module
"""
import numpy as np

TEMPLATE = '''
import fake_module_in_template
from fake_pkg_in_template import x
'''
SNIPPET = "import fake_module_in_string"
OTHER = 'from fake_from_in_string import y'
ESCAPED = "quote \" import fake_after_escaped_quote"
RAW = r"C:\path\import fake_raw \""
CONCAT = ("import fake_a; "
          "import fake_b")
# import fake_module_in_comment
#     from fake_commented_out import z
code = compile("import fake_compiled", "<s>", "exec")  # compiled, never imported here


def helper():
    '''Single-quoted docstring: "import fake_single_docstring" and from x import y.'''
    text = """nested 'quotes' and \""" still inside
    import fake_still_in_string
    """
    return text


exec(SNIPPET)
import pandas as pd  # a real import after all the strings
