// The namespaces most test classes use, once for the project (as the Using items of Books.Tests.csproj do for Xunit).
global using System.Diagnostics;
global using Aspire.Hosting;
global using Aspire.Hosting.ApplicationModel;
global using Aspire.Hosting.Testing;
global using Microsoft.Extensions.Logging;
global using System.Net;
global using System.Net.Http.Headers;
global using System.Net.Http.Json;
global using System.Reflection;
global using System.Text.Json;
global using Books.Api.Books;
global using Books.Settings;
global using Books.Tests.Infrastructure;
global using Microsoft.Extensions.DependencyInjection;
global using MongoDB.Bson;
global using MongoDB.Driver;
