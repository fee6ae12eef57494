package io.kontrast.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.kontrast.math.Nd4jRuntime;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class ReportCommandTest {
    /**
     * Points spread 3 along one direction and 1 along an orthogonal one (in 16 dimensions, with
     * little noise): the map's first axis is the first direction, its second the other.
     */
    @Test
    void theMapsAxesAreThePrincipalComponents() {
        Nd4jRuntime.init();
        int n = 500;
        int d = 16;
        SplittableRandom rnd = new SplittableRandom(3);
        double[] u = unit(rnd, d);
        double[] v = unit(rnd, d);
        double p = 0;
        for (int j = 0; j < d; j++) p += u[j] * v[j];
        for (int j = 0; j < d; j++) v[j] -= p * u[j];
        double vn = Math.sqrt(dot(v, v));
        for (int j = 0; j < d; j++) v[j] /= vn;
        double[] a = new double[n];
        double[] b = new double[n];
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            a[i] = 3 * gaussian(rnd);
            b[i] = gaussian(rnd);
            for (int j = 0; j < d; j++) x[i][j] = 5 + a[i] * u[j] + b[i] * v[j] + 0.01 * gaussian(rnd);
        }
        double[][] xy = ReportCommand.Pca.project(Nd4j.createFromArray(x), 2);
        double[] first = new double[n];
        double[] second = new double[n];
        for (int i = 0; i < n; i++) {
            first[i] = xy[i][0];
            second[i] = xy[i][1];
        }
        assertThat(Math.abs(correlation(first, a))).isGreaterThan(0.999);
        assertThat(Math.abs(correlation(second, b))).isGreaterThan(0.999);
    }

    @Test
    void namesOnThePageAreEscaped() {
        assertThat(ReportCommand.escape("<model & \"x\">")).isEqualTo("&lt;model &amp; &quot;x&quot;&gt;");
    }

    static double[] unit(SplittableRandom rnd, int d) {
        double[] u = new double[d];
        for (int j = 0; j < d; j++) u[j] = gaussian(rnd);
        double n = Math.sqrt(dot(u, u));
        for (int j = 0; j < d; j++) u[j] /= n;
        return u;
    }

    static double gaussian(SplittableRandom rnd) {
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) s += a[j] * b[j];
        return s;
    }

    static double correlation(double[] x, double[] y) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i] / x.length;
            my += y[i] / y.length;
        }
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }
}
