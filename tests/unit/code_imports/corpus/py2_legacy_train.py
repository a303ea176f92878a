# Python 2.7 era Theano/Lasagne training script
import cPickle
import gzip
import os
import sys
import time
import urllib2
from StringIO import StringIO

import numpy as np
import theano
import theano.tensor as T
import lasagne

def load_dataset(url='http://deeplearning.net/data/mnist/mnist.pkl.gz'):
    if not os.path.exists('mnist.pkl.gz'):
        print "Downloading %s" % url
        data = urllib2.urlopen(url).read()
        open('mnist.pkl.gz', 'wb').write(data)
    f = gzip.open('mnist.pkl.gz', 'rb')
    try:
        train, val, test = cPickle.load(f)
    except Exception, e:
        print >> sys.stderr, "could not load: %s" % e
        raise
    finally:
        f.close()
    return train, val, test

def build_mlp(input_var=None):
    l_in = lasagne.layers.InputLayer(shape=(None, 1, 28, 28), input_var=input_var)
    l_hid = lasagne.layers.DenseLayer(l_in, num_units=800, nonlinearity=lasagne.nonlinearities.rectify)
    return lasagne.layers.DenseLayer(l_hid, num_units=10, nonlinearity=lasagne.nonlinearities.softmax)

def main(num_epochs=500):
    train, val, test = load_dataset()
    input_var = T.tensor4('inputs')
    target_var = T.ivector('targets')
    network = build_mlp(input_var)
    loss = lasagne.objectives.categorical_crossentropy(lasagne.layers.get_output(network), target_var).mean()
    params = lasagne.layers.get_all_params(network, trainable=True)
    updates = lasagne.updates.nesterov_momentum(loss, params, learning_rate=0.01, momentum=0.9)
    train_fn = theano.function([input_var, target_var], loss, updates=updates)
    for epoch in xrange(num_epochs):
        start = time.time()
        err = train_fn(np.asarray(train[0]).reshape(-1, 1, 28, 28), train[1])
        print "Epoch %d took %.3fs, loss %.6f" % (epoch + 1, time.time() - start, err)
    exec "import pylab"
    print StringIO("done").read()

if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
