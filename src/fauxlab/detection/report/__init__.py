"""The detect report: the JSON document (schema.py, document.py), the HTML page (html.py)
and the pictures both draw on (figures.py)."""
