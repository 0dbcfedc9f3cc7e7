"""Autograd: the op contract, the engine, grad mode, gradcheck, anomaly detection."""

from .anomaly import detect_anomaly, set_detect_anomaly
from .custom import Function, FunctionCtx
from .function import Context, Op
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
