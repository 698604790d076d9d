using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Shutdown in the order a load balancer needs: at SIGTERM (<see cref="IHostApplicationLifetime.ApplicationStopping"/>)
/// readiness turns Unhealthy at once, the server keeps serving for <c>Shutdown:DrainDelay</c> while balancers that
/// probe readiness take the replica out, then Kestrel stops accepting connections (a proxy retries those elsewhere) and
/// lets in-flight requests finish within <see cref="HostOptions.ShutdownTimeout"/>.
/// </summary>
/// <remarks>
/// A balancer that probes readiness more often than the drain lasts (deploy/haproxy.cfg: every 500 ms, against 2 s) has
/// stopped sending to the replica before its listener closes; one that does not probe learns of it only from failed
/// connections.
/// </remarks>
internal sealed partial class GracefulShutdown(IHostApplicationLifetime lifetime, IConfiguration configuration, IHostEnvironment environment,
    ILogger<GracefulShutdown> logger) : IHostedLifecycleService, IHealthCheck
{
    public const string HealthCheckName = "shutdown";
    public const string DrainDelayKey = "Shutdown:DrainDelay";

    /// <summary>Outside Development: long enough for a balancer probing every second to see two failures.</summary>
    public static readonly TimeSpan DefaultDrainDelay = TimeSpan.FromSeconds(2);

    /// <summary>The delay between readiness turning Unhealthy and Kestrel closing; none in Development, where nothing balances.</summary>
    public TimeSpan DrainDelay { get; } = configuration.GetValue<TimeSpan?>(DrainDelayKey)
        ?? (environment.IsDevelopment() ? TimeSpan.Zero : DefaultDrainDelay);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? new HealthCheckResult(context.Registration.FailureStatus, "Shutting down: in-flight requests are finishing; send new ones elsewhere.")
            : HealthCheckResult.Healthy());

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (DrainDelay <= TimeSpan.Zero)
        {
            return;
        }

        LogDraining(DrainDelay.TotalSeconds);
        try
        {
            await Task.Delay(DrainDelay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout ran out first: stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: not ready from now on; serving for {DelaySeconds} s more before closing the listener.")]
    private partial void LogDraining(double delaySeconds);
}
