"""lamina.nn: modules, parameters, initialisation and functional ops (torch.nn)."""

from . import functional, init, utils
from .module import Module
from .modules.container import ModuleDict, ModuleList, Sequential
from .modules.embedding import Embedding
from .modules.linear import Flatten, Identity, Linear, Unflatten
from .modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .parameter import Buffer, Parameter
