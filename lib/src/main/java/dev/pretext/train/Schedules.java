package dev.pretext.train;

import java.util.Optional;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Reads and replaces the learning-rate schedule held by every layer's updater in a graph's
 * configuration. The configuration is what the parameter-averaging trainer broadcasts to its
 * workers at every fit, so a replaced schedule is what the next chunk trains with.
 */
public final class Schedules {
    private Schedules() {
    }

    /** The schedule of the first layer whose updater has one. */
    public static Optional<ISchedule> of(ComputationGraph net) {
        for (GraphVertex v : net.getConfiguration().getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf() != null
                    && lv.getLayerConf().getLayer() instanceof BaseLayer bl && bl.getIUpdater() != null) {
                ISchedule s = get(bl.getIUpdater());
                if (s != null) {
                    return Optional.of(s);
                }
            }
        }
        return Optional.empty();
    }

    /** Sets {@code schedule} on every layer updater that has a learning rate; returns how many. */
    public static int set(ComputationGraph net, ISchedule schedule) {
        int n = 0;
        for (GraphVertex v : net.getConfiguration().getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf() != null
                    && lv.getLayerConf().getLayer() instanceof BaseLayer bl && bl.getIUpdater() != null) {
                if (put(bl.getIUpdater(), schedule)) {
                    n++;
                }
            }
        }
        // The driver's live layers may hold their own copies of the configuration.
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            if (l.conf() != null && l.conf().getLayer() instanceof BaseLayer bl && bl.getIUpdater() != null) {
                put(bl.getIUpdater(), schedule);
            }
        }
        return n;
    }

    private static ISchedule get(IUpdater u) {
        if (u instanceof Adam a) return a.getLearningRateSchedule();
        if (u instanceof Nesterovs a) return a.getLearningRateSchedule();
        if (u instanceof Sgd a) return a.getLearningRateSchedule();
        if (u instanceof RmsProp a) return a.getLearningRateSchedule();
        if (u instanceof AdaGrad a) return a.getLearningRateSchedule();
        return null;
    }

    private static boolean put(IUpdater u, ISchedule s) {
        if (u instanceof Adam a) a.setLearningRateSchedule(s);
        else if (u instanceof Nesterovs a) a.setLearningRateSchedule(s);
        else if (u instanceof Sgd a) a.setLearningRateSchedule(s);
        else if (u instanceof RmsProp a) a.setLearningRateSchedule(s);
        else if (u instanceof AdaGrad a) a.setLearningRateSchedule(s);
        else return false;
        return true;
    }
}
