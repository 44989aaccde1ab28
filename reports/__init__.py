"""Report writers (the Excel workbook) built on the calculation core."""
