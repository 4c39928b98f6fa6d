import com.sun.tools.attach.VirtualMachine;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Prints the bytes a running JVM's threads have allocated so far (java.lang:type=Threading,
 * TotalThreadAllocatedBytes), reached through the JDK's attach API and the JVM's local management agent.
 * Run as a source file: java bench/AllocatedBytes.java PID. Used by bench/alloc.sh.
 */
public class AllocatedBytes {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java AllocatedBytes.java PID");
            System.exit(2);
        }
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        try {
            String address = vm.startLocalManagementAgent();
            try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
                MBeanServerConnection m = c.getMBeanServerConnection();
                System.out.println(m.getAttribute(new ObjectName("java.lang:type=Threading"), "TotalThreadAllocatedBytes"));
            }
        } finally {
            vm.detach();
        }
    }
}
