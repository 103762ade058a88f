"""Train and evaluate a CRS model (KBRD, KGSF, ReDial) on a CRSLab dataset: the launcher for `accelerate launch`.

    accelerate launch examples/train_crs.py --config examples/recipes/kbrd_sample.yaml
    accelerate launch --config_file examples/accelerate_configs/cpu_2proc.yaml examples/train_crs.py \\
        --config examples/recipes/kbrd_sample.yaml
    accelerate launch examples/train_crs.py --config examples/recipes/kgsf_stages_sample.yaml   # three stages

The script itself is `crs_hf/scripts/train_crs.py` (its docstring lists the arguments, stages and outputs); it ships
with the package, so `python -m crs_hf.scripts.train_crs --config ...` works without this repository.
"""

from crs_hf.scripts.train_crs import console_main

if __name__ == "__main__":
    console_main()
