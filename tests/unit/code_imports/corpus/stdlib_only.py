import argparse
import asyncio
import collections.abc
import concurrent.futures
import dataclasses
import json
import logging.handlers
import multiprocessing as mp
import pathlib
import sqlite3
import subprocess
import tomllib
import typing
import unittest.mock
import urllib.request
import zoneinfo
from __future__ import annotations
from xml.dom import minidom

logging.basicConfig(level=logging.INFO)
