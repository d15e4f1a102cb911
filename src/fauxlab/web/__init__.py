"""`fauxlab serve`: the web page and HTTP API over the same detect, verify and ledger code."""
