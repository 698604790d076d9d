using Books.Settings;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Books.Api.Books;
using Books.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Books.Api.OpenApi;

/// <summary>
/// The published contract (<c>/openapi/v1.json</c>): what the generator cannot see for itself. Who may
/// write, the headers, the examples, and every field rule as schema keywords, read from the constants
/// <see cref="BookInput"/>, <see cref="BookListing"/> and <see cref="Isbn"/> enforce, so the document
/// and the validator cannot drift.
/// </summary>
public static partial class BooksOpenApi
{
    public const string SecuritySchemeName = "bearer";
    public const string ObjectIdPattern = "^[0-9a-fA-F]{24}$";
    private const string NotBlankPattern = @"\S";
    private const string ProblemMediaType = "application/problem+json";
    private const string LocalDevelopmentServer = "http://localhost:5180";

    /// <summary>Registers the document with its transformers.</summary>
    public static IServiceCollection AddBooksOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer(DescribeDocument);
            options.AddOperationTransformer(DescribeOperation);
            options.AddSchemaTransformer(DescribeSchema);
        });

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Books API",
            Version = "v1",
            Description =
                "A catalogue of books on MongoDB. Reads are anonymous; writes need a JWT bearer token with the " +
                $"`{BooksApiSettings.WriteScope}` scope and are limited per caller. Every error is an RFC 9457 problem " +
                "(`application/problem+json`). Updates and deletes take `If-Match` with the `ETag` of a read, and " +
                "lists are paged with an opaque keyset cursor.",
            Contact = new OpenApiContact { Name = "The Books team" },
            License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
        };

        // At run time the server this document was fetched from, as a relative URL: the framework would write the
        // request's own Host header here, whatever a client sent (OWASP API8). At build time, where the AppHost runs books-api.
        document.Servers = document.Servers is { Count: > 0 }
            ? [new OpenApiServer { Url = "/", Description = "This server." }]
            : [new OpenApiServer { Url = LocalDevelopmentServer, Description = "books-api run by the AppHost (dotnet run --project Books.AppHost)." }];

        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "Books", Description = "The catalogue: list, read, add, replace, change and delete books." },
            new() { Name = "Admin", Description = "Operator tasks, such as loading the shipped sample books." },
        };

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SecuritySchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description =
                $"A JWT whose `scope` (or `scp`) claim includes `{BooksApiSettings.WriteScope}` (`{BooksApiSettings.AdminScope}` for the admin operations), from the identity provider the " +
                "deployment trusts; in development, from the Aspire dashboard's \"Issue a development token\" command.",
        };
        return Task.CompletedTask;
    }

    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAuthorizeData>().Select(a => BooksSecurity.ScopeOf(a.Policy)).OfType<string>().FirstOrDefault() is { } scope)
        {
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecuritySchemeName, context.Document)] = [scope] },
            ];
        }
        else
        {
            operation.Security = [new OpenApiSecurityRequirement()]; // anonymous: an empty requirement
        }

        DescribeParameters(operation);
        if (BooksOpenApiExamples.RequestBodies.TryGetValue(operation.OperationId ?? "", out var body))
        {
            foreach (var content in operation.RequestBody?.Content?.Values ?? [])
            {
                content.Example = body.DeepClone();
            }
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is OpenApiResponse concrete)
            {
                DescribeResponse(operation.OperationId, status, concrete);
            }
        }

        return Task.CompletedTask;
    }
}
