"""Measurements that make the theory visible, and the plots drawn from them."""
