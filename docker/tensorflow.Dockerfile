# legacy_rprop on Keras 2.3.1 + tensorflow 1.15.5 (CPU), Python 3.7; another
# TensorFlow stack of docs/stacks.md on Python 3.7 by build arguments.
#   docker build -f docker/tensorflow.Dockerfile -t legacy-rprop:tensorflow .
#   docker run --rm legacy-rprop:tensorflow                          # the test suite
#   docker run --rm -v "$PWD:/work" legacy-rprop:tensorflow python train.py
#   docker run --rm -v "$PWD/demo-output:/out" legacy-rprop:tensorflow demo
# The pins come from requirements/, as in tox's py37-tensorflow environment;
# Keras 2.2.5 on TensorFlow 1.15, for instance:
#   docker build -f docker/tensorflow.Dockerfile -t legacy-rprop:keras2.2.5-tf1.15 \
#     --build-arg STACK=requirements/stacks/keras2.2.5-tf1.15.txt \
#     --build-arg EXPECT_STACK="keras==2.2.5 tensorflow==1.15.5" .
FROM python:3.7.17-slim-bookworm

ARG STACK=requirements/tensorflow.txt
ARG EXPECT_STACK="keras==2.3.1 tensorflow==1.15.5"
ENV KERAS_BACKEND=tensorflow \
    LEGACY_RPROP_EXPECT_BACKEND=tensorflow \
    LEGACY_RPROP_EXPECT_STACK=$EXPECT_STACK \
    LEGACY_RPROP_EXPECT_XLA=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PYTHONHASHSEED=0 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements/ requirements/
RUN pip install -r requirements/test.txt -r "$STACK" -r requirements/demo.txt
# the source tree but what .dockerignore leaves out: every module setup.py
# packages, the tests and what they read
COPY . .
RUN pip install --no-deps .

WORKDIR /work
ENTRYPOINT ["/app/docker/entrypoint"]
CMD ["test"]
