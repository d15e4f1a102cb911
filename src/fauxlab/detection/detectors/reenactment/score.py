"""The reenactment measures' norms. All are *small* on a photo made to move (texture
carried along, background frozen), so each is judged against the real clips' median and
5th percentile; the rule from a value to P(fake) is `fauxlab.detection.norms` (P rises
in `percentile / value` below the percentile). The evidence takes the largest of them
(docs/reenactment.md).
"""

from __future__ import annotations

from fauxlab.detection.norms import small_on_fakes

# Median and 5th percentile (numpy, linear) over the training side of the shared real
# clips (`fauxlab.datasplit.VIDEOS.split(root)[0]`, 17 clips), each analysed with the
# defaults of `fauxlab detect` (32 keyframes), main face track; measured by
# scripts/reenactment_norms.py. Never fitted on the third-party videos. Ranges (min-max):
# texture 0.053-0.215, stillness 0.042-0.363, identity 0.112-0.311 (17 clips, all
# measured).
TEXTURE = small_on_fakes(
    "texture",
    "texture change: one minus the correlation of the skin's fine detail between keyframes "
    "once the motion is undone by optical flow (median over keyframe pairs)",
    "1 - correlation",
    median=0.1037,
    p5=0.0733,
)
STILLNESS = small_on_fakes(
    "stillness",
    "background change: mean grey-level change away from the head over that inside the "
    "face, between keyframes (median over keyframe pairs)",
    "ratio",
    median=0.1732,
    p5=0.0591,
)
IDENTITY = small_on_fakes(
    "identity",
    "identity change: distance between the face's 128-D dlib embeddings at consecutive "
    "keyframes (median over pairs of 16 keyframes spread over the clip; 0.6 separates two "
    "people)",
    "distance",
    median=0.2600,
    p5=0.1558,
)
NORMS = {n.name: n for n in (TEXTURE, STILLNESS, IDENTITY)}
