"""Train every conv model on one split and write the README's conv results table (see examples/results.py).

    python examples/conv_results.py --data_dir ../shared/crs_data/redial/crslab_nltk --readme README.md
"""

from results import main

if __name__ == "__main__":
    main("conv")
