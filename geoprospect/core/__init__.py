"""Small shared helpers every layer may use: text clean-up, geodesy, the on-disk cache."""
