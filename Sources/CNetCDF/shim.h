#include <netcdf.h>

// netCDF's mode flags and type codes are macros; these hand them to Swift.
static inline int ss_nc_netcdf4_clobber(void) { return NC_NETCDF4 | NC_CLOBBER; }
static inline int ss_nc_nowrite(void) { return NC_NOWRITE; }
static inline int ss_nc_global(void) { return NC_GLOBAL; }
static inline int ss_nc_double(void) { return NC_DOUBLE; }
static inline int ss_nc_char(void) { return NC_CHAR; }
static inline int ss_nc_string(void) { return NC_STRING; }
