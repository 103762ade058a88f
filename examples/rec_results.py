"""Train every rec model on one split and write the README's rec results table (see examples/results.py).

    python examples/rec_results.py --data_dir ../shared/crs_data/redial/crslab_nltk --readme README.md
"""

from results import main

if __name__ == "__main__":
    main("rec")
