import numpy as np
import pytest

from mmconformer.visualization import colorize_labels, segmentation_figure

PALETTE = [[0, 0, 0], [255, 0, 0], [0, 0, 255]]


def test_colorize_labels_paints_each_class_and_the_ignore_index():
    labels = np.array([[0, 1], [2, 255]])
    rgb = colorize_labels(labels, PALETTE)
    assert rgb.dtype == np.uint8 and rgb.shape == (2, 2, 3)
    assert rgb[0, 1].tolist() == [255, 0, 0]
    assert rgb[1, 0].tolist() == [0, 0, 255]
    assert rgb[1, 1].tolist() == [255, 255, 255]


@pytest.mark.parametrize('labels, match', [
    (np.array([[0, 3]]), r'labels \[3\] have no palette colour'),
    (np.zeros((2, 2, 3), dtype=int), 'must be H x W'),
])
def test_colorize_labels_refuses_what_it_cannot_draw(labels, match):
    with pytest.raises(ValueError, match=match):
        colorize_labels(labels, PALETTE)


def test_segmentation_figure_has_image_truth_and_prediction_per_column():
    rgb = np.zeros((8, 10, 3), np.uint8)
    truth = np.zeros((8, 10), int)
    pred = np.ones((8, 10), int)
    fig = segmentation_figure([(rgb, truth, pred)] * 2,
                              ['bg', 'a', 'b'], PALETTE, title='t')
    axes = fig.get_axes()
    assert len(axes) == 6
    assert [a.get_ylabel() for a in axes[::2]] == [
        'image', 'ground truth', 'prediction']
    # the prediction row shows class 1's colour
    shown = axes[4].get_images()[0].get_array()
    assert np.asarray(shown)[0, 0].tolist() == [255, 0, 0]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ['bg', 'a', 'b'] and fig._suptitle.get_text() == 't'


def test_segmentation_figure_refuses_mismatched_inputs():
    rgb = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match='differ in size'):
        segmentation_figure([(rgb, np.zeros((8, 8), int),
                              np.zeros((4, 4), int))], ['a'], [[0, 0, 0]])
    with pytest.raises(ValueError, match='2 class names but 1 palette'):
        segmentation_figure([(rgb, np.zeros((8, 8), int),
                              np.zeros((8, 8), int))], ['a', 'b'],
                            [[0, 0, 0]])
    with pytest.raises(ValueError, match='rows is empty'):
        segmentation_figure([], ['a'], [[0, 0, 0]])
