"""A long full-batch run with a whole-model checkpoint every epoch, for
test_crash_resume.py, which kills it with SIGKILL and resumes it.

    crash_resume_job.py train OUT_DIR EPOCHS    # from the start
    crash_resume_job.py resume OUT_DIR EPOCHS   # from the newest checkpoint

Prints "epoch N" after every epoch (after its checkpoint is written) and,
when the run ends, writes OUT_DIR/final.npz with the model and optimizer
weights.
"""
import os
import sys
import time

import numpy as np
from keras.callbacks import LambdaCallback, ModelCheckpoint

from legacy_rprop import RProp, load_latest_checkpoint
from models import classifier, fit_full_batch


def main(mode, out_dir, epochs):
    if mode == 'train':
        model, done = classifier(RProp(variant='iRprop+', init_alpha=0.01)), 0
    else:
        model, done = load_latest_checkpoint(os.path.join(out_dir, 'ckpt-*.h5'))
        print('resumed after epoch %d' % done, flush=True)
    report = LambdaCallback(on_epoch_end=lambda epoch, logs: (
        print('epoch %d' % (epoch + 1), flush=True), time.sleep(0.005)))
    checkpoint = ModelCheckpoint(os.path.join(out_dir, 'ckpt-{epoch:04d}.h5'))
    fit_full_batch(model, epochs, initial_epoch=done, callbacks=[checkpoint, report])
    np.savez(os.path.join(out_dir, 'final.npz'),
             *(model.get_weights() + model.optimizer.get_weights()))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
