"""Documents the platform produces: PDFs (WeasyPrint), charts, spreadsheets."""
