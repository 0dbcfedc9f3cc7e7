"""Under mpiexec -n 2: Trainer subclasses train in step on every rank: one whose train_step
calls the bare model (gradient clipping, as the rnn demo's) and the GANTrainer (generator
and discriminator averaged apart). Each rank trains on its own shard, so weights that
were not averaged would differ; every rank must end with rank 0's."""

import numpy as np

import lamina
import lamina.distributed as dist
from lamina.models import MLPDiscriminator, MLPGenerator
from lamina.nn.utils import clip_grad_norm_
from lamina.train import GANTrainer, Trainer
from tests.distributed import setup_fit as S

dist.init_process_group("mpi")
rank = dist.get_rank()


def same_on_every_rank(module, what):
    for name, v in module.state_dict().items():
        parts = [lamina.zeros_like(v) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, v.clone())
        assert np.array_equal(parts[0].numpy(), parts[1].numpy()), f"{what}: {name} differs"


class Clipped(Trainer):
    def train_step(self, batch):
        x, y = batch
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        clip_grad_norm_(self.model.parameters(), 0.5)
        self.optimizer.step()
        return {"loss": float(loss.item())}


(x, y), _ = S.data()
base = S.trainer()
clipped = Clipped(base.model, base.loss_fn, base.optimizer)
clipped.fit(x, y, epochs=2, batch_size=16, verbose=0)
same_on_every_rank(clipped.model, "Clipped")

lamina.manual_seed(rank)  # other noise per rank, as a real run has
data = np.array([0.6, -0.4]) + 0.05 * np.random.default_rng(rank).standard_normal((256, 2))
G, D = MLPGenerator(4, (1, 1, 2), (8,)), MLPDiscriminator((1, 1, 2), (8,))
GANTrainer(G, D).fit(
    data.reshape(-1, 1, 1, 2).astype(np.float32), epochs=2, batch_size=32, verbose=0
)
same_on_every_rank(G, "GAN generator")
same_on_every_rank(D, "GAN discriminator")
print(f"rank {rank}: ok")
