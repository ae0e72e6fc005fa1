"""Reference catalog of realistic plain-NumPy functions with hand-derived gradients."""
