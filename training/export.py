"""Export a training checkpoint as a shipped model: weights, config and metadata, no optimizer state.

    python training/export.py runs/default/best.pt models/default.pt --name default --minutes 45 \
        --machine "2-core CPU (no GPU)" --threshold 4 --threshold-correlated 5 --reweight-scale 0.25 \
        --reweight-scale-correlated 0.1 --threshold-reweighted 6

An exported model can be its own checkpoint, to change its decision settings alone:

    python training/export.py models/accurate.pt models/accurate.pt --name accurate --minutes 48.7 \
        --machine "2-core CPU (no GPU)" --threshold-by-density 0.055:4,0.0695:3

and a rule for another kind of noise (from time-like ratio 2.25: 5, and 6 below density 0.068):

    python training/export.py models/accurate.pt models/accurate.pt --name accurate --minutes 87.3 \
        --machine "2-core CPU (no GPU)" --threshold-by-timelike-ratio 2.25:5,0.068:6

and a floor where the noise varies across qubits (at least 4 from noise spread 0.25):

    python training/export.py models/accurate.pt models/accurate.pt --name accurate --minutes 87.3 \
        --machine "2-core CPU (no GPU)" --threshold-floor-by-noise-spread 0.25:4
"""

import argparse

import qec
from qec._predecoder import load_checkpoint_file, parse_threshold_pairs

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("out")
    parser.add_argument("--name", required=True)
    parser.add_argument("--minutes", type=float, required=True, help="wall time of the training run")
    parser.add_argument("--machine", required=True)
    parser.add_argument("--threshold", type=float, default=None, help="override the tuned threshold")
    parser.add_argument("--threshold-by-density", default=None, metavar="DENSITY:THRESHOLD,...",
                        help="hard thresholds for circuits whose expected detection-event density is below "
                             "these (ascending; see qec.PreDecoder); 'none' removes them")
    parser.add_argument("--threshold-by-timelike-ratio", default=None, metavar="RATIO:THRESHOLD[,DENSITY:THRESHOLD...]",
                        help="the hard threshold for circuits whose DEM's time-like ratio is at or above RATIO, "
                             "with its own thresholds below densities (see qec.PreDecoder), instead of the "
                             "rule by density; 'none' removes it")
    parser.add_argument("--threshold-floor-by-noise-spread", default=None, metavar="SPREAD:FLOOR,...",
                        help="the least hard threshold for circuits whose DEM's noise spread is at or above "
                             "SPREAD, whatever rule applies (ascending; see qec.PreDecoder); 'none' removes it")
    parser.add_argument("--decision-settings-from", default=None, metavar="MODEL",
                        help="take the correlated threshold and the reweighting settings from this model (e.g. 'default'; "
                             "not the hard threshold or its rules by noise); the flags below override it")
    parser.add_argument("--threshold-correlated", type=float, default=None,
                        help="threshold for correlated residual matching (default: the checkpoint's)")
    parser.add_argument("--reweight-scale", type=float, default=None,
                        help="logit scale for reweighted matching (see qec.PosteriorMatcher)")
    parser.add_argument("--reweight-scale-correlated", type=float, default=None,
                        help="logit scale for two-pass correlated reweighted matching")
    parser.add_argument("--threshold-reweighted", type=float, default=None,
                        help="hard-commit threshold before reweighted matching ('inf': commit nothing)")
    parser.add_argument("--threshold-reweighted-correlated", type=float, default=None,
                        help="hard-commit threshold before two-pass correlated reweighted matching")
    args = parser.parse_args()
    ckpt = load_checkpoint_file(args.checkpoint)
    predecoder = qec.PreDecoder.from_checkpoint_dict(ckpt)
    if args.threshold is not None:
        predecoder.threshold = args.threshold
    try:
        if args.threshold_by_density is not None:
            predecoder.threshold_by_density = [] if args.threshold_by_density == "none" else \
                parse_threshold_pairs(args.threshold_by_density)
        if args.threshold_by_timelike_ratio is not None:
            pairs = ([] if args.threshold_by_timelike_ratio == "none" else
                     parse_threshold_pairs(args.threshold_by_timelike_ratio))
            predecoder.threshold_by_timelike_ratio = [pairs[0] + (pairs[1:],)] if pairs else []
        if args.threshold_floor_by_noise_spread is not None:
            predecoder.threshold_floor_by_noise_spread = ([] if args.threshold_floor_by_noise_spread == "none" else
                                                          parse_threshold_pairs(args.threshold_floor_by_noise_spread))
    except ValueError as e:
        parser.error(str(e))
    if args.decision_settings_from is not None:
        source = qec.PreDecoder.load(args.decision_settings_from)
        for name in ("threshold_correlated", "reweight_scale", "reweight_scale_correlated", "threshold_reweighted",
                     "threshold_reweighted_correlated"):
            setattr(predecoder, name, getattr(source, name))
    if args.threshold_correlated is not None:
        predecoder.threshold_correlated = args.threshold_correlated
    if args.reweight_scale is not None:
        predecoder.reweight_scale = args.reweight_scale
    if args.reweight_scale_correlated is not None:
        predecoder.reweight_scale_correlated = args.reweight_scale_correlated
    if args.threshold_reweighted is not None:
        predecoder.threshold_reweighted = args.threshold_reweighted
    if args.threshold_reweighted_correlated is not None:
        predecoder.threshold_reweighted_correlated = args.threshold_reweighted_correlated
    predecoder.metadata.update(name=args.name, train_minutes=args.minutes, machine=args.machine,
                               qec_version=qec.__version__)
    predecoder.save(args.out, train_config=ckpt.get("train_config"), step=ckpt.get("step"))
    print(predecoder)
