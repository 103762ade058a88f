"""crs_hf: conversational recommender systems on the Hugging Face stack."""

__version__ = "0.1.0"

from crs_hf.data import load_dataset
from crs_hf.errors import CRSDataError, CRSHFError

__all__ = ["CRSDataError", "CRSHFError", "__version__", "load_dataset"]
