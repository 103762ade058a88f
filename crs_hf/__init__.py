"""crs_hf: conversational recommender systems on the Hugging Face stack."""

__version__ = "0.1.0"

from crs_hf.data import load_dataset
from crs_hf.errors import CRSDataError, CRSHFError
import crs_hf.models  # noqa: F401,E402  registers the models with the Auto classes

__all__ = ["CRSDataError", "CRSHFError", "__version__", "load_dataset"]
