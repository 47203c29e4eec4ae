"""Lineage from a mart figure back to the delivered files and their rows (`jd-pipeline explain`)."""
