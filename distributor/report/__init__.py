"""report.html (html.py) and the figures it and `whatif` embed (plots.py)."""
