"""Character-level LSTM language model (Karpathy's char-rnn) on any text file.

Usage: python examples/char_lstm.py [PATH] [--minutes 3] [--hidden 256] [--seq 64]
PATH defaults to the Shakespeare text lamina ships. Prints validation loss in nats per
character (uniform over 65 symbols is 4.17, a bigram model about 2.45) and a sample.
"""

import argparse
import math
import time

import lamina
from lamina.data.text import CharTokenizer, LMWindowDataset, load_shakespeare
from lamina.models.generation import generate
from lamina.models.rnn import RNNLanguageModel, lm_loss
from lamina.nn.utils import clip_grad_norm_
from lamina.optim import Adam

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
p.add_argument("path", nargs="?", help="a UTF-8 text file (default: bundled Shakespeare)")
p.add_argument("--minutes", type=float, default=3.0, help="training time budget")
p.add_argument("--hidden", type=int, default=256)
p.add_argument("--seq", type=int, default=64)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--lr", type=float, default=3e-3)
p.add_argument("--seed", type=int, default=0)
args = p.parse_args()

lamina.manual_seed(args.seed)
text = open(args.path, encoding="utf-8").read() if args.path else load_shakespeare()
cut = int(len(text) * 0.9)
tok = CharTokenizer.fit(text)
ids = tok.encode(text)
train = LMWindowDataset(ids[:cut], args.seq)
val = LMWindowDataset(ids[cut:], args.seq)
model = RNNLanguageModel(len(tok), embed_dim=64, hidden_size=args.hidden)
opt = Adam(model.parameters(), lr=args.lr)
print(f"{len(text):,} chars, vocab {len(tok)}, {len(train)} train windows of {args.seq}")


def val_loss(max_batches=40):
    total, n = 0.0, 0
    with lamina.no_grad():
        for i, (x, y) in enumerate(val.batches(64, shuffle=False)):
            if i == max_batches:
                break
            total += lm_loss(model(lamina.tensor(x))[0], y).item() * y.size
            n += y.size
    return total / n


t0, step, done = time.perf_counter(), 0, False
while not done:
    for x, y in train.batches(args.batch):
        loss = lm_loss(model(lamina.tensor(x))[0], y)
        opt.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        minutes = (time.perf_counter() - t0) / 60
        if step % 100 == 0:
            print(f"step {step:5d}  train {loss.item():.3f} nats/char  {minutes:.1f} min")
        if minutes >= args.minutes:
            done = True
            break

model.eval()
vl = val_loss()
print(
    f"validation {vl:.3f} nats/char ({vl / math.log(2):.3f} bits), uniform {math.log(len(tok)):.2f}"
)
print(f"{step} steps in {(time.perf_counter() - t0) / 60:.1f} min")
prompt = "ROMEO:\n" if all(c in tok.stoi for c in "ROMEO:\n") else text[0]
print("sample:\n" + prompt + generate(model, tok, prompt, 300, temperature=0.8))
