using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
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
/// A proxy that does not probe (nginx's open-source upstreams) learns of a replica only from failed requests, and a
/// connection it opens just as Kestrel closes its listener is reset after the request went out: nginx retries that
/// for GET, never for POST or PATCH. With <c>Shutdown:RefuseIdempotentRequestsWhileDraining</c>, the drain answers
/// idempotent requests (RFC 9110 9.2.2) with 503 unprocessed: the proxy retries them on another replica and marks this
/// one failed (nginx <c>max_fails</c>), so by the time the listener closes nothing is being sent to it. POST and PATCH
/// are still served while draining.
/// </remarks>
internal sealed partial class GracefulShutdown(IHostApplicationLifetime lifetime, IConfiguration configuration, IHostEnvironment environment,
    ILogger<GracefulShutdown> logger) : IHostedLifecycleService, IHealthCheck, IStartupFilter
{
    public const string HealthCheckName = "shutdown";
    public const string DrainDelayKey = "Shutdown:DrainDelay";
    public const string RefuseIdempotentKey = "Shutdown:RefuseIdempotentRequestsWhileDraining";

    private readonly bool _refuseIdempotent = configuration.GetValue(RefuseIdempotentKey, defaultValue: false);

    /// <summary>Outside Development: long enough for a balancer probing every second to see two failures.</summary>
    public static readonly TimeSpan DefaultDrainDelay = TimeSpan.FromSeconds(2);

    /// <summary>The delay between readiness turning Unhealthy and Kestrel closing; none in Development, where nothing balances.</summary>
    public TimeSpan DrainDelay { get; } = configuration.GetValue<TimeSpan?>(DrainDelayKey)
        ?? (environment.IsDevelopment() ? TimeSpan.Zero : DefaultDrainDelay);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? new HealthCheckResult(context.Registration.FailureStatus, "Shutting down: in-flight requests are finishing; send new ones elsewhere.")
            : HealthCheckResult.Healthy());

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (_refuseIdempotent)
        {
            app.Use(RefuseWhileDrainingAsync);
        }

        next(app);
    };

    private async Task RefuseWhileDrainingAsync(HttpContext context, RequestDelegate next)
    {
        if (!lifetime.ApplicationStopping.IsCancellationRequested || !IsIdempotent(context.Request.Method) ||
            context.Request.Path.StartsWithSegments(Extensions.HealthEndpointPath) || context.Request.Path.StartsWithSegments(Extensions.AlivenessEndpointPath))
        {
            await next(context);
            return;
        }

        context.Response.Headers.RetryAfter = "1";
        context.Response.Headers.Connection = "close";
        await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Shutting down",
            detail: "This replica is shutting down and did not process the request; send it again, another replica will answer.").ExecuteAsync(context);
    }

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) ||
        HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);

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
