"""Readers: CMS files in, tables with the warehouse's columns out; never the database.

- `hcpcs`: the quarterly alpha-numeric HCPCS zip (ANWEB TXT authoritative, XLSX/XLS
  cross-checked, NOC codes companion, transaction report).
- `asp`: ASP payment limits, NDC-HCPCS crosswalk, NOC pricing and NOC crosswalk (section 508
  CSV preferred, XLSX/XLS twin as fallback).
- `layouts`: layout drift as data (member patterns, header aliases); `members`: member choice
  through the safe zip reader; `sheets`: CSV/workbook grids and header location.

Every error is a `BadInput` naming `zip!member`, the line (or sheet row) and the field.
"""
