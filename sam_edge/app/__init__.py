"""The composition root: settings → real or simulated parts for every seam."""
