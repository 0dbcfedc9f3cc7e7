"""Character-level GPT on Shakespeare with nanoGPT's CPU configuration.

Usage: python examples/gpt_shakespeare.py [--iters 2000] [--out lamina_out/gpt]

4 layers, 4 heads, 128-wide, block 64, batch 12, AdamW with warm-up and cosine decay;
nanoGPT reaches a validation loss of about 1.88 nats/char with these settings.
"""

import argparse

from lamina.models import gpt_demo

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
p.add_argument("--iters", type=int, default=2000)
p.add_argument("--eval-interval", type=int, default=250)
p.add_argument("--eval-iters", type=int, default=20)
p.add_argument("--n-layer", type=int, default=4)
p.add_argument("--n-embd", type=int, default=128)
p.add_argument("--out", default="lamina_out/gpt")
args = p.parse_args()
recipe = {
    "max_iters": args.iters,
    "eval_interval": args.eval_interval,
    "eval_iters": args.eval_iters,
    "n_layer": args.n_layer,
    "n_embd": args.n_embd,
}
gpt_demo.main(args.out, recipe)
