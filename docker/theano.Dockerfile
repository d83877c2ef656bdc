# legacy_rprop on Keras 2.3.1 + theano-pymc 1.0.10, Python 3.7, OpenBLAS; the
# original Theano 1.0.5 stacks of docs/stacks.md by build arguments.
#   docker build -f docker/theano.Dockerfile -t legacy-rprop:theano .
#   docker run --rm legacy-rprop:theano                          # the test suite
#   docker run --rm -v "$PWD:/work" legacy-rprop:theano python train.py
#   docker run --rm -v "$PWD/demo-output:/out" legacy-rprop:theano demo
# The pins come from requirements/, as in tox's py37-theano environment;
# Keras 2.2.4 on Theano 1.0.5, for instance:
#   docker build -f docker/theano.Dockerfile -t legacy-rprop:keras2.2.4-theano1.0.5 \
#     --build-arg STACK=requirements/stacks/keras2.2.4-theano1.0.5.txt \
#     --build-arg EXPECT_STACK="keras==2.2.4 theano==1.0.5" .
# Theano compiles C code while it runs: g++ and OpenBLAS stay in the image
# (gcc.cxxflags=-g0: the modules without debug information, compiled faster).
FROM python:3.7.17-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends g++=4:12.2.0-3 libopenblas-dev=0.3.21+ds-4 \
    && rm -rf /var/lib/apt/lists/*

ARG STACK=requirements/theano.txt
ARG EXPECT_STACK="keras==2.3.1 theano-pymc==1.0.10"
ENV KERAS_BACKEND=theano \
    LEGACY_RPROP_EXPECT_BACKEND=theano \
    LEGACY_RPROP_EXPECT_STACK=$EXPECT_STACK \
    THEANO_FLAGS=floatX=float32,blas.ldflags=-lopenblas,gcc.cxxflags=-g0,base_compiledir=/cache/theano \
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
