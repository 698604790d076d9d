using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Books.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Books.Tests.Distributed;

/// <summary>
/// Stops and starts the mongo resource, so it gets an AppHost of its own (a class fixture) instead of
/// sharing the collection's.
/// </summary>
public sealed class MongoOutageTests(BooksAppFixture fixture) : IClassFixture<BooksAppFixture>
{
    private static readonly TimeSpan s_transitionTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Stopping_mongo_turns_health_unhealthy_and_starting_it_makes_it_healthy_again()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(s_transitionTimeout * 2);
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = fixture.App.ResourceNotifications;
        using var api = fixture.CreateApiClient();

        var stopped = await commands.ExecuteCommandAsync("mongo", KnownResourceCommands.StopCommand, timeout.Token);
        Assert.True(stopped.Success, stopped.Message);

        // The API's own view first (its probe is bounded, so this is quick), then the AppHost's,
        // which re-probes a healthy resource only every 30 s or so.
        await Eventually.StatusAsync(api, "/health", HttpStatusCode.ServiceUnavailable, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/alive", timeout.Token)).StatusCode);
        await notifications.WaitForResourceAsync("books-api", e => e.Snapshot.HealthStatus == HealthStatus.Unhealthy, timeout.Token);

        var started = await commands.ExecuteCommandAsync("mongo", KnownResourceCommands.StartCommand, timeout.Token);
        Assert.True(started.Success, started.Message);

        await notifications.WaitForResourceHealthyAsync("mongo", timeout.Token);
        await notifications.WaitForResourceAsync("books-api", e => e.Snapshot.HealthStatus == HealthStatus.Healthy, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health", timeout.Token)).StatusCode);
    }
}
