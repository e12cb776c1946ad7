using System.Net;
using System.Net.Sockets;

namespace GradGuard.Observability.Tests;

/// <summary>Loopback ports for the services a test starts.</summary>
public static class Loopback
{
    /// <summary>A port nothing listens on right now; the OS hands out a fresh one each time.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
