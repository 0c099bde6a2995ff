"""The contribution log: classifying what members contribute, and writing it once."""
