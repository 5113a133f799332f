"""What people look at: report.html (html.py, one layout for every program, the program's own
sections from its report.toml via sections.py), shared page pieces (markup.py), the reward
token of a manifest (token.py), the figures (plots.py) and their one style (style.py)."""
