package io.ferry.transport;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs work on an event loop after the I/O that is being handled now has been submitted, rather than
 * after the loop's whole I/O phase.
 *
 * <p>Why: Netty's io_uring loop handles completions and submits what they produced, pass after pass (up
 * to 128), until a pass finds nothing new, and only then runs its tasks. Under load a phase lasts many
 * passes, so a flush left to a task holds every frame written during the phase: an HTTP/2 connection
 * answered a hundred streams in one burst, milliseconds late. A no-op entry in the submission queue
 * completes in the pass after the next submission, so the work it carries runs once per pass for all
 * that asked during it. On other transports it is a task, as before.
 */
public final class NextPass implements IoUringIoHandle {
    private static final Logger log = LoggerFactory.getLogger(NextPass.class);
    /** IORING_OP_NOP, no flags, no file: completes as soon as it is submitted. */
    private static final IoUringIoOps NOP = new IoUringIoOps((byte) 0, (byte) 0, (short) 0, -1, 0L, 0L, 0, 0,
            0L, (short) 0, (short) 0, 0, 0L);
    private static final FastThreadLocal<NextPass> LOOPS = new FastThreadLocal<>();

    private final EventExecutor loop;
    private IoRegistration registration;
    /** No registration to carry the work (not io_uring, refused, or closed): it goes to the task queue. */
    private boolean useTasks;
    private boolean submitted;
    private ArrayList<Runnable> queued = new ArrayList<>();
    private ArrayList<Runnable> running = new ArrayList<>();

    private NextPass(EventExecutor loop) {
        this.loop = loop;
    }

    /**
     * Runs {@code work} on {@code loop} in its next I/O pass (io_uring), or as a task. Callers ask once per
     * batch of writes (a flag of their own), so the same work is not queued twice.
     */
    public static void execute(EventExecutor loop, Runnable work) {
        if (loop.inEventLoop()) {
            NextPass pass = LOOPS.get();
            if (pass == null) {
                pass = new NextPass(loop);
                LOOPS.set(pass);
                if (loop instanceof IoEventLoop io && io.isCompatible(IoUringIoHandle.class)) {
                    pass.register(io);
                } else {
                    pass.useTasks = true; // epoll, NIO: a task runs right after the I/O, as wanted
                }
            }
            if (pass.add(work)) {
                return;
            }
        }
        loop.execute(work);
    }

    private void register(IoEventLoop io) {
        Future<IoRegistration> f = io.register(this);
        if (f.isDone()) {
            registered(f);
        } else {
            f.addListener(done -> registered(f));
        }
    }

    private void registered(Future<IoRegistration> f) {
        if (f.isSuccess()) {
            registration = f.getNow();
        } else {
            useTasks = true;
            log.debug("no I/O-pass registration on {}: its work runs as tasks", loop, f.cause());
        }
    }

    /** False while no registration is there to carry the work: it goes to the task queue instead. */
    private boolean add(Runnable work) {
        if (registration == null || useTasks) {
            return false;
        }
        if (!submitted) {
            if (!registration.isValid()) {
                useTasks = true;
                return false;
            }
            registration.submit(NOP);
            submitted = true;
        }
        queued.add(work);
        return true;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        submitted = false;
        ArrayList<Runnable> now = queued;
        queued = running;
        running = now;
        for (int i = 0; i < now.size(); i++) {
            try {
                now.get(i).run();
            } catch (Throwable t) {
                log.warn("work run after an I/O pass failed", t);
            }
        }
        now.clear();
    }

    @Override
    public void close() {
        useTasks = true;
        // The loop is closing: what is queued still runs, once, so nothing waits for a pass that never comes.
        ArrayList<Runnable> left = queued;
        queued = new ArrayList<>();
        for (Runnable r : left) {
            try {
                r.run();
            } catch (Throwable t) {
                log.debug("work left at close failed", t);
            }
        }
        if (registration != null) {
            registration.cancel();
        }
    }
}
