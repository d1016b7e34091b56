"""Exporters: the only modules that write files (Excel workbooks, PDF travelers)."""
