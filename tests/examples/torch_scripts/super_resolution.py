# ruff: noqa: UP008, UP031, UP032, B007, E501  (pytorch/examples style, kept as written)
# pytorch/examples super_resolution (from memory): model.py's Net (PixelShuffle, orthogonal
# init) and main.py's train / test loops; the BSDS300 folders -> opt.train_set/test_set,
# argparse -> opt, one harness line (opt.on_model).
from math import log10

import torch
import torch.nn as nn
import torch.nn.init as init
import torch.optim as optim
from torch.utils.data import DataLoader


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()

        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 64, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(64, 64, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(64, 32, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(32, upscale_factor**2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        x = self.pixel_shuffle(self.conv4(x))
        return x

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv3.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv4.weight)


def main(opt):
    if opt.cuda and not torch.cuda.is_available():
        raise Exception("No GPU found, please run without --cuda")
    if not opt.mps and torch.backends.mps.is_available():
        raise Exception("Found mps device, please run with --mps to enable macOS GPU")

    torch.manual_seed(opt.seed)
    use_mps = opt.mps and torch.backends.mps.is_available()

    if opt.cuda:
        device = torch.device("cuda")
    elif use_mps:
        device = torch.device("mps")
    else:
        device = torch.device("cpu")

    print("===> Loading datasets")
    training_data_loader = DataLoader(
        dataset=opt.train_set, num_workers=opt.threads, batch_size=opt.batchSize, shuffle=True
    )
    testing_data_loader = DataLoader(
        dataset=opt.test_set, num_workers=opt.threads, batch_size=opt.testBatchSize, shuffle=False
    )

    print("===> Building model")
    model = Net(upscale_factor=opt.upscale_factor).to(device)
    opt.on_model(model)
    criterion = nn.MSELoss()

    optimizer = optim.Adam(model.parameters(), lr=opt.lr)

    def train(epoch):
        epoch_loss = 0
        for iteration, batch in enumerate(training_data_loader, 1):
            input, target = batch[0].to(device), batch[1].to(device)

            optimizer.zero_grad()
            loss = criterion(model(input), target)
            epoch_loss += loss.item()
            loss.backward()
            optimizer.step()

            print(
                "===> Epoch[{}]({}/{}): Loss: {:.6f}".format(
                    epoch, iteration, len(training_data_loader), loss.item()
                )
            )

        print(
            "===> Epoch {} Complete: Avg. Loss: {:.6f}".format(
                epoch, epoch_loss / len(training_data_loader)
            )
        )

    def test():
        avg_psnr = 0
        with torch.no_grad():
            for batch in testing_data_loader:
                input, target = batch[0].to(device), batch[1].to(device)

                prediction = model(input)
                mse = criterion(prediction, target)
                psnr = 10 * log10(1 / mse.item())
                avg_psnr += psnr
        print("===> Avg. PSNR: {:.6f} dB".format(avg_psnr / len(testing_data_loader)))

    for epoch in range(1, opt.nEpochs + 1):
        train(epoch)
        test()

    if opt.save_model:  # main.py's checkpoint(), then super_resolve.py's load
        torch.save(model, opt.save_model)
        with open(opt.save_model, "rb") as f:
            safe_globals = [
                Net,
                torch.nn.modules.activation.ReLU,
                torch.nn.modules.conv.Conv2d,
                torch.nn.modules.pixelshuffle.PixelShuffle,
            ]
            with torch.serialization.safe_globals(safe_globals):
                loaded = torch.load(f)
        input = next(iter(testing_data_loader))[0][:1].to(device)
        out = loaded(input)
        print("===> super-resolved {} sum {:.5f}".format(tuple(out.shape), out.sum().item()))
    return model
