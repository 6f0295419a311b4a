# Copyright (c) mmconformer contributors. All rights reserved.
from .model_index import model_index_path, register_model_index

__all__ = ['model_index_path', 'register_model_index']
