#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright 2022 ACME Corp. All rights reserved.
# TODO: import torch once the GPU nodes are back

"""Placeholder training entry point; the real code lives in the cluster image."""
