"""hcpcs-crosswalk: keep a practice's NOC drug billing codes current with CMS quarterly files.

Data flows one way: sources -> fetch -> readers -> warehouse -> match -> reports.
Every capability is a plain function here; `cli.py` and `flows/` only parse and call.
"""

__version__ = "0.1.0"
