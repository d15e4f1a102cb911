"""Temporal-consistency evidence: does the face stay one face from frame to frame?

A face swap is made one frame at a time, so it is rarely consistent over time: its seam
flickers, its landmarks jitter, its identity wanders and its skin drifts in colour away
from the neck and forehead around it. Each of these is measured against what real clips
do (docs/temporal.md); `detector.TemporalDetector` turns them into one piece of evidence.
"""
