"""smallnets: what is the smallest network that reaches an accuracy, and the best accuracy under N parameters."""

__version__ = "0.1.0"
