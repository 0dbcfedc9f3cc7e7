"""Under mpiexec -n 2: Trainer.fit on sharded data with validation, EarlyStopping,
ModelCheckpoint and CSVLogger, then a resume from the epoch-1 checkpoint with the same world
size, which must run on as the first run did.

Writes <outdir>/history_<rank>.json (every rank) and, from rank 0 only (the writers are
rank-0 callbacks), run-<epoch>.safetensors, run.csv and weights.npz.
"""

import json
import sys
import warnings

import numpy as np

import lamina
import lamina.distributed as dist
from lamina.train import CSVLogger, EarlyStopping, ModelCheckpoint
from lamina.utils.data import DataLoader, DistributedSampler, TensorDataset
from tests.distributed import setup_fit as S

dist.init_process_group("mpi")
rank = dist.get_rank()
out = sys.argv[1]
(x, y), (vx, vy) = S.data()
t = S.trainer()


def callbacks(tag):
    return [
        EarlyStopping(monitor="val_loss", min_delta=10.0, patience=1),  # stops after epoch 2
        ModelCheckpoint(f"{out}/{tag}-{{epoch}}.safetensors", save_weights_only=False),
        CSVLogger(f"{out}/{tag}.csv"),
    ]


kw = dict(batch_size=16, validation_data=(vx, vy), epochs=10)
hist = t.fit(x, y, callbacks=callbacks("run"), verbose=2, **kw)
with warnings.catch_warnings():
    warnings.simplefilter("error")  # the same world size resumes without a warning
    again = S.trainer()  # from the checkpoint after epoch 1: must continue as if never stopped
    more = again.fit(x, y, callbacks=callbacks("again"), resume_from=f"{out}/run-1.safetensors",
                     verbose=0, **kw)  # fmt: skip
# a DataLoader of the user's with a DistributedSampler: fit calls its set_epoch
data = TensorDataset(lamina.tensor(x), lamina.tensor(y))
sampler = DistributedSampler(data, seed=5)
loader = DataLoader(data, batch_size=16, sampler=sampler)
own = S.trainer().fit(loader, epochs=2, verbose=0)
assert sampler.epoch == 1 and len(sampler) == 300
with open(f"{out}/history_{rank}.json", "w") as f:
    json.dump({"first": hist.history, "resumed": more.history, "epochs": more.epoch,
               "loader": own.history}, f)  # fmt: skip
if rank == 0:
    np.savez(f"{out}/weights.npz", **{k: v.numpy() for k, v in t.model.state_dict().items()})
