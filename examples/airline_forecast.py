"""Forecast monthly airline passengers with an LSTM; compare with the seasonal-naive baseline.

Usage: python examples/airline_forecast.py [--epochs 300] [--plot airline.png]

The LSTM reads the last 12 months of year-on-year log growth, log(y_t / y_{t-12}), and
predicts next month's; the forecast is y_{t-12} * exp(prediction). Seasonal-naive predicts
y_{t-12} (growth 0). The last 24 months (1959-1960) are the test set, the 12 before them
validation; the scaler is fitted on the training months only. One-step-ahead RMSE in
thousands of passengers.
"""

import argparse

import numpy as np

import lamina
from lamina.data.series import load_airline, split_windows
from lamina.models.rnn import RNNForecaster
from lamina.optim import Adam
from lamina.train.metrics import rmse

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
p.add_argument("--epochs", type=int, default=300)
p.add_argument("--hidden", type=int, default=16)
p.add_argument("--lookback", type=int, default=12)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--plot", default="airline_forecast.png", help="PNG path ('' for none)")
args = p.parse_args()

lamina.manual_seed(args.seed)
y = load_airline().astype(np.float64)  # (144,)
season = 12
growth = (np.log(y[season:]) - np.log(y[:-season])).astype(np.float32)  # (132,) month t+12
n = len(growth)
parts, scaler = split_windows(growth, args.lookback, 1, val_frac=12 / n, test_frac=24 / n)
model = RNNForecaster(1, args.hidden, horizon=1, cell="lstm")
opt = Adam(model.parameters(), lr=1e-2)
xtr, ytr = (lamina.tensor(a) for a in parts["train"])


def predict(x):
    model.eval()
    with lamina.no_grad():
        out = model(lamina.tensor(x)).detach().numpy()
    model.train()
    return scaler.inverse_transform(out)[:, 0]  # growth


best, best_state = np.inf, None
for _ in range(args.epochs):
    loss = ((model(xtr) - ytr) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    val_mse = float(
        np.mean((predict(parts["val"][0]) - scaler.inverse_transform(parts["val"][1])[:, 0]) ** 2)
    )
    if val_mse < best:
        best, best_state = val_mse, {k: np.array(v) for k, v in model.state_dict().items()}
model.load_state_dict(best_state)

# Test months: growth index i is month i + 12 of y.
n_test = len(parts["test"][1])
months = np.arange(len(y) - n_test, len(y))
forecast = y[months - season] * np.exp(predict(parts["test"][0]))
naive = y[months - season]
r_model, r_naive = rmse(y[months], forecast), rmse(y[months], naive)
print(
    f"test 1959-1960 one-step RMSE: LSTM {r_model:.1f}  seasonal-naive {r_naive:.1f} "
    f"(thousands of passengers; {100 * (1 - r_model / r_naive):.0f}% lower)"
)

if args.plot:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
    else:
        fig, ax = plt.subplots(figsize=(9, 4))
        ax.plot(np.arange(len(y)), y, label="passengers", color="black")
        ax.plot(months, forecast, label=f"LSTM (RMSE {r_model:.1f})")
        ax.plot(months, naive, "--", label=f"seasonal naive (RMSE {r_naive:.1f})")
        ax.set_xlabel("month since 1949-01")
        ax.set_ylabel("thousands")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"plot: {args.plot}")
