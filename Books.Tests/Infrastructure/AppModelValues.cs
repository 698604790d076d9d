namespace Books.Tests.Infrastructure;

/// <summary>
/// Evaluates a resource's environment and argument callbacks as the publisher would, rendering each
/// value as its manifest expression (e.g. <c>{mongo-password.value}</c>) so no secret is resolved.
/// </summary>
public static class AppModelValues
{
    public static async Task<Dictionary<string, string>> EnvironmentAsync(IResource resource, CancellationToken cancellationToken)
    {
        var context = new EnvironmentCallbackContext(
            new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish),
            resource,
            new Dictionary<string, object>(),
            cancellationToken);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return context.EnvironmentVariables.ToDictionary(kv => kv.Key, kv => Render(kv.Value));
    }

    public static async Task<List<string>> ArgumentsAsync(IResource resource, CancellationToken cancellationToken)
    {
        var args = new List<object>();
        var context = new CommandLineArgsCallbackContext(args, cancellationToken);
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return args.Select(Render).ToList();
    }

    private static string Render(object value) => value switch
    {
        string text => text,
        IManifestExpressionProvider expression => expression.ValueExpression,
        _ => value.ToString() ?? "",
    };
}
